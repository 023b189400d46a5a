package dev.kiln.bench;

import java.util.List;

/**
 * An in-memory target for the harness tests: returns a fixed output, appends its label to a shared log on each
 * call ({@code "A"} for a timed call, {@code "A*"} for a fetched one), and can start answering wrongly after a
 * number of calls.
 */
final class FakeTarget implements BenchTarget {
  private final String label;
  private final float[] output;
  private final List<String> log;
  private final int wrongAfter;
  private int calls;
  boolean closed;
  /** What {@link #lastRunNanos} reports (-1: not measured, as the interface's default). */
  long runNanos = -1;

  /** @param wrongAfter calls answered correctly before the output turns wrong (Integer.MAX_VALUE: never) */
  FakeTarget(String label, float[] output, List<String> log, int wrongAfter) {
    this.label = label;
    this.output = output.clone();
    this.log = log;
    this.wrongAfter = wrongAfter;
  }

  @Override public String label() { return label; }

  @Override
  public float[] run(boolean fetch) {
    log.add(fetch ? label + "*" : label);
    calls++;
    if (!fetch) return null;
    float[] o = output.clone();
    if (calls > wrongAfter) o[0] += 1;
    return o;
  }

  @Override public long lastRunNanos() { return runNanos; }

  @Override public void close() { closed = true; }
}
