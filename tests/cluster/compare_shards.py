#!/usr/bin/env python3
"""Checks that the samples of some tar shards are exactly those of others: the same member
names with the same bytes, and no member name twice in either set. Prints what differs.

usage: compare_shards.py 'EXPECTED_GLOB' 'ACTUAL_GLOB'"""
import glob
import sys
import tarfile


def members(pattern):
    found = {}
    duplicates = []
    shards = sorted(glob.glob(pattern))
    for shard in shards:
        with tarfile.open(shard) as archive:
            for member in archive:
                data = archive.extractfile(member).read()
                if member.name in found:
                    duplicates.append(f"{member.name} (in {shard})")
                found[member.name] = data
    return shards, found, duplicates


def main():
    expected_shards, expected, expected_dups = members(sys.argv[1])
    actual_shards, actual, actual_dups = members(sys.argv[2])
    problems = []
    if not expected_shards:
        problems.append(f"no shard matches {sys.argv[1]}")
    if not actual_shards:
        problems.append(f"no shard matches {sys.argv[2]}")
    problems += [f"duplicate in expected: {d}" for d in expected_dups]
    problems += [f"duplicate in actual: {d}" for d in actual_dups]
    problems += [f"missing: {name}" for name in sorted(expected.keys() - actual.keys())]
    problems += [f"unexpected: {name}" for name in sorted(actual.keys() - expected.keys())]
    problems += [f"different bytes: {name}" for name in sorted(expected.keys() & actual.keys())
                 if expected[name] != actual[name]]
    for problem in problems[:20]:
        print(problem, file=sys.stderr)
    if problems:
        print(f"{len(problems)} differences", file=sys.stderr)
        return 1
    print(f"{len(actual)} members in {len(actual_shards)} shards equal {len(expected)} members "
          f"in {len(expected_shards)} shards")
    return 0


if __name__ == "__main__":
    sys.exit(main())
