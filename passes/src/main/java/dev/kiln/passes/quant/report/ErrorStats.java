package dev.kiln.passes.quant.report;

/**
 * Accumulates the error of approximate values against reference values: SQNR in dB
 * ({@code 10 log10(sum ref^2 / sum (ref - approx)^2)}, infinite when equal), the largest and the mean absolute
 * error, and the relative L2 error ({@code ||ref - approx|| / ||ref||}).
 */
public final class ErrorStats {
  private double signal, noise, maxAbs, sumAbs;
  private long count;

  public void add(float[] ref, float[] approx) {
    if (ref.length != approx.length) throw new IllegalArgumentException("sizes differ: " + ref.length + " and " + approx.length);
    for (int i = 0; i < ref.length; i++) {
      double d = (double) ref[i] - approx[i];
      signal += (double) ref[i] * ref[i];
      noise += d * d;
      maxAbs = Math.max(maxAbs, Math.abs(d));
      sumAbs += Math.abs(d);
    }
    count += ref.length;
  }

  public double sqnrDb() {
    if (noise == 0) return Double.POSITIVE_INFINITY;
    return 10 * Math.log10(signal / noise);
  }

  public double maxAbs() { return maxAbs; }

  public double meanAbs() { return count == 0 ? 0 : sumAbs / count; }

  public double relativeL2() { return signal == 0 ? (noise == 0 ? 0 : Double.POSITIVE_INFINITY) : Math.sqrt(noise / signal); }

  public long count() { return count; }
}
