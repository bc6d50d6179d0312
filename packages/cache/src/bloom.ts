/**
 * A Bloom filter over strings: "definitely absent" or "maybe present". Double hashing of two
 * 32-bit FNV-1a variants; sized for an expected item count at a 1 % false-positive rate.
 */
export class BloomFilter {
  private readonly bits: Uint32Array;
  private readonly size: number;
  private readonly hashes: number;

  constructor(expectedItems: number, falsePositiveRate = 0.01) {
    const m = Math.ceil((-expectedItems * Math.log(falsePositiveRate)) / (Math.LN2 * Math.LN2));
    this.size = Math.max(64, m);
    this.hashes = Math.max(1, Math.round((this.size / expectedItems) * Math.LN2));
    this.bits = new Uint32Array(Math.ceil(this.size / 32));
  }

  add(value: string): void {
    const [a, b] = hash2(value);
    for (let i = 0; i < this.hashes; i++) {
      const bit = (a + i * b) % this.size;
      this.bits[bit >>> 5]! |= 1 << (bit & 31);
    }
  }

  mightContain(value: string): boolean {
    const [a, b] = hash2(value);
    for (let i = 0; i < this.hashes; i++) {
      const bit = (a + i * b) % this.size;
      if ((this.bits[bit >>> 5]! & (1 << (bit & 31))) === 0) return false;
    }
    return true;
  }
}

function hash2(value: string): [number, number] {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193 ^ value.length;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193);
    h2 = Math.imul(h2 ^ c, 0x5bd1e995);
    h2 ^= h2 >>> 13;
  }
  // Unsigned, and an odd step so that the probe sequence covers the table.
  return [h1 >>> 0, (h2 | 1) >>> 0];
}
