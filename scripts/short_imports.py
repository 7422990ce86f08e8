#!/usr/bin/env python3
"""Shorten the names a wasm-bindgen module imports from its own glue.

wasm-bindgen names each import after what it calls plus a 16-digit hash
(`__wbg_getBoundingClientRect_329ca748ec918b0c`), and every name is spelled twice: in the wasm's
import section and as a key of the glue's import object. A page bundle has about 260 of them;
the hashes do not compress, and they cost ≈ 6.5 KB brotli per bundle. This renames each import
of the glue module to a short name (`a`, `b`, … `ba`, …) in both files. Nothing else changes:
the import section is re-encoded in place, so every function index stays what it was.

Each old name must occur exactly once in the glue (as its key); if not, the glue's shape has
changed and this stops with a message rather than guess.

Usage: scripts/short_imports.py <module_bg.wasm> <glue.js> <module name>, e.g.
       scripts/short_imports.py out/pillars-lab-21_bg.wasm out/pillars-lab-21.js ./pillars-lab-21_bg.js
"""
import re
import sys

ALPHABET = "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"


def read_uleb(b, i):
    value = shift = 0
    while True:
        byte = b[i]
        i += 1
        value |= (byte & 0x7F) << shift
        shift += 7
        if byte < 0x80:
            return value, i


def uleb(n):
    out = bytearray()
    while True:
        byte, n = n & 0x7F, n >> 7
        out.append(byte | (0x80 if n else 0))
        if not n:
            return bytes(out)


def short_name(k):
    """0 → a, 51 → Z, 52 → aa, … (bijective base 52)."""
    s = ""
    while True:
        s = ALPHABET[k % 52] + s
        k = k // 52 - 1
        if k < 0:
            return s


def rename_imports(wasm, module):
    """The wasm with the imports of `module` renamed, and {old name: new name}."""
    if wasm[:8] != b"\0asm\1\0\0\0":
        raise ValueError("not a wasm module (version 1)")
    i = 8
    while i < len(wasm):
        section, size_at = wasm[i], i + 1
        size, body = read_uleb(wasm, size_at)
        if section == 2:
            break
        i = body + size
    else:
        return wasm, {}
    end = body + size
    count, k = read_uleb(wasm, body)
    out, names = bytearray(uleb(count)), {}
    for _ in range(count):
        n, k = read_uleb(wasm, k)
        mod, k = wasm[k:k + n], k + n
        n, k = read_uleb(wasm, k)
        field, k = wasm[k:k + n], k + n
        desc_at, kind = k, wasm[k]
        k += 1
        if kind in (0, 4):  # function: type index; tag: attribute, type index
            k = read_uleb(wasm, k + (kind == 4))[1]
        elif kind in (1, 2):  # table: reftype, limits; memory: limits
            k += kind == 1
            flags = wasm[k]
            k = read_uleb(wasm, k + 1)[1]
            if flags & 1:
                k = read_uleb(wasm, k)[1]
        elif kind == 3:  # global: value type, mutability
            k += 2
        else:
            raise ValueError(f"unknown import kind {kind}")
        if mod == module.encode():
            field = names.setdefault(field.decode(), short_name(len(names))).encode()
        out += uleb(len(mod)) + mod + uleb(len(field)) + field + wasm[desc_at:k]
    if k != end:
        raise ValueError("import section did not parse to its end")
    return wasm[:i] + bytes([2]) + uleb(len(out)) + bytes(out) + wasm[end:], names


def shorten(wasm_path, glue_path, module):
    wasm = open(wasm_path, "rb").read()
    glue = open(glue_path, encoding="utf-8").read()
    new_wasm, names = rename_imports(wasm, module)
    for old, new in names.items():
        token = re.compile(r"(?<![\w$])" + re.escape(old) + r"(?![\w$])")
        found = len(token.findall(glue))
        if found != 1:
            sys.exit(f"short_imports: {old} occurs {found} times in {glue_path}, expected once")
        glue = token.sub(new, glue)
    open(wasm_path, "wb").write(new_wasm)
    open(glue_path, "w", encoding="utf-8").write(glue)
    return len(names)


if __name__ == "__main__":
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    print(f"short_imports: renamed {shorten(*sys.argv[1:])} imports")
