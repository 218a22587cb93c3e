/** `x` to `digits` significant digits, without trailing zeros or exponent noise: 0.003922, 255, 0.118. */
export function significant(x: number, digits: number): string {
  return String(Number(x.toPrecision(digits)));
}
