#include <fmt/format.h>
int main() { fmt::print("tessera 0.1.0\n"); return 0; }
