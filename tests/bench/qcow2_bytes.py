#!/usr/bin/env python3
"""qcow2_bytes.py IMAGE [START:LEN[:PEER] ...] — where the bytes of a qcow2
image go: stored cluster bytes per guest range (a partition), and the rest
of the file (header, L1/L2/refcount tables, Lifeboat's checksum blocks,
alignment gaps).  A zstd cluster's length is its frame's exact length
(zstd frame format, RFC 8878 section 3.1.1: header, blocks, checksum); a
zlib cluster's is its descriptor's sector span.  PEER: a file whose size
is printed beside the range (partclone's piece).  Bench tool, read-only."""
import os, struct, sys

def frame_len(b, o):
    """Length of the zstd frame at b[o:] (RFC 8878 3.1.1)."""
    d = b[o + 4]
    fcs, single, dictf = d >> 6, (d >> 5) & 1, d & 3
    n = 4 + 1 + (0 if single else 1) + (0, 1, 2, 4)[dictf]
    n += (1 if single else 0, 2, 4, 8)[fcs]
    while True:
        h = int.from_bytes(b[o + n:o + n + 3], 'little')
        n += 3 + (1 if (h >> 1) & 3 == 1 else h >> 3)
        if h & 1:
            return n + (4 if (d >> 2) & 1 else 0)

def main():
    path = sys.argv[1]
    b = open(path, 'rb').read()
    cb, size = struct.unpack('>IQ', b[20:32])
    l1n, l1o = struct.unpack('>IQ', b[36:48])
    ztype = b[104] if struct.unpack('>I', b[100:104])[0] >= 105 else 0
    cs, x = 1 << cb, 62 - (cb - 8)
    ranges = []
    for a in sys.argv[2:]:
        f = a.split(':')
        ranges.append([int(f[0]), int(f[1]), f[2] if len(f) > 2 else None, 0, 0])
    comp = raw = ncomp = nraw = other = 0
    for g in range(l1n):
        l2 = struct.unpack('>Q', b[l1o + 8 * g:l1o + 8 * g + 8])[0] & 0x00fffffffffffe00
        for k in range(cs // 8 if l2 else 0):
            i = g * (cs // 8) + k
            if i * cs >= size:
                break
            e = struct.unpack('>Q', b[l2 + 8 * k:l2 + 8 * k + 8])[0]
            if e >> 62 & 1:
                off = e & ((1 << x) - 1)
                n = frame_len(b, off) if ztype == 1 else \
                    ((e >> x) & ((1 << (cb - 8)) - 1)) * 512 + 512 - off % 512
                comp += n; ncomp += 1
            elif e & 0x00fffffffffffe00:
                n = cs; raw += n; nraw += 1
            else:
                continue
            for r in ranges:
                if r[0] <= i * cs < r[0] + r[1]:
                    r[3] += n; r[4] += 1
                    break
            else:
                other += n
    print(f"{os.path.basename(path)}: {len(b)} bytes, {cs >> 10} KiB clusters: "
          f"{ncomp} compressed ({comp} bytes), {nraw} stored raw ({raw} bytes)")
    for j, r in enumerate(ranges):
        peer = f"; peer {os.path.getsize(r[2])} bytes" if r[2] and os.path.exists(r[2]) else ""
        print(f"  range {j + 1} at byte {r[0]}: {r[4]} clusters, {r[3]} bytes{peer}")
    print(f"  outside the ranges: {other} bytes")
    print(f"  tables, checksum blocks, header, gaps: {len(b) - comp - raw} bytes")

main()
