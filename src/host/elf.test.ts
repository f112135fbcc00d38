import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { isStaticExecutable } from './elf.js';

describe('isStaticExecutable', () => {
  it('says a dynamically linked program is not static', () => {
    expect(isStaticExecutable(readFileSync(process.execPath))).toBe(false);
  });

  it('says a non-ELF file is not static', () => {
    expect(isStaticExecutable(Buffer.from('#!/bin/sh\necho hi\n'.padEnd(128)))).toBe(false);
  });

  it('finds no interpreter in a minimal static ELF', () => {
    // ELF64 little-endian header with one PT_LOAD program header and no PT_INTERP.
    const bytes = Buffer.alloc(120);
    bytes.writeUInt32BE(0x7f454c46, 0);
    bytes[4] = 2;
    bytes[5] = 1;
    bytes.writeBigUInt64LE(64n, 32); // e_phoff
    bytes.writeUInt16LE(56, 54); // e_phentsize
    bytes.writeUInt16LE(1, 56); // e_phnum
    bytes.writeUInt32LE(1, 64); // PT_LOAD
    expect(isStaticExecutable(bytes)).toBe(true);
    bytes.writeUInt32LE(3, 64); // PT_INTERP
    expect(isStaticExecutable(bytes)).toBe(false);
  });
});
