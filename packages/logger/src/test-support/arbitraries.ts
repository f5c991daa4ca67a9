/** fast-check arbitraries shared by the logger's property tests (not part of the package's build). */
import fc from 'fast-check';

/** Leaf values a log field can hold: strings of any code units, graphemes, numbers, booleans, null, undefined, BigInt. */
export const leaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 40 }),
  fc.string({ unit: 'grapheme', maxLength: 10 }),
  fc.double(),
  fc.integer(),
  fc.boolean(),
  fc.constant(null),
  fc.constant(undefined),
  fc.bigInt(),
);
