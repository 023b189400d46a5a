package dev.kiln.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.FloatBuffer;
import java.util.Map;

/**
 * ONNX Runtime (Java API, CPU provider) with one session and one input tensor bound. The session options are the
 * fair-race settings: every graph optimization on, {@code threads} intra-op threads, one inter-op thread, and no
 * spinning (spinning workers would burn a core between calls and steal it from the other side of the race).
 * A timed call is {@code session.run} plus closing its result (a first call too: its copy-out for the check is
 * not timed); the input tensor is created once, from a direct buffer, so ONNX Runtime reads it in place.
 */
public final class OrtTarget implements BenchTarget {
  private final OrtSession session;
  private final OnnxTensor input;
  private final Map<String, OnnxTensor> feeds;
  private final String label;
  private long lastRunNanos = -1;

  /**
   * @param model the ONNX model's bytes (one float input, first output float), not null
   * @param data the input in row-major order, not null
   * @param shape the input's shape, not null
   * @param threads intra-op threads, at least 1
   * @throws OrtException when ONNX Runtime rejects the model or the options
   */
  public OrtTarget(byte[] model, float[] data, long[] shape, int threads) throws OrtException {
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions o = new OrtSession.SessionOptions()) {
      o.setOptimizationLevel(OptLevel.ALL_OPT);
      o.setIntraOpNumThreads(threads);
      o.setInterOpNumThreads(1);
      o.addConfigEntry("session.intra_op.allow_spinning", "0");
      session = env.createSession(model, o);
    }
    FloatBuffer buf = ByteBuffer.allocateDirect(data.length * Float.BYTES).order(ByteOrder.nativeOrder()).asFloatBuffer();
    buf.put(data).rewind();
    try {
      input = OnnxTensor.createTensor(env, buf, shape);
    } catch (OrtException | RuntimeException e) {
      session.close();
      throw e;
    }
    feeds = Map.of(session.getInputNames().iterator().next(), input);
    label = "ort";
  }

  /** ONNX Runtime's version string, e.g. {@code "1.23.2"}. */
  public static String version() { return OrtEnvironment.getEnvironment().getVersion(); }

  @Override public String label() { return label; }

  @Override
  public float[] run(boolean fetch) {
    try {
      if (!fetch) {
        session.run(feeds).close();
        return null;
      }
      long t0 = System.nanoTime();
      OrtSession.Result r = session.run(feeds);
      long ran = System.nanoTime() - t0;
      try {
        if (!(r.get(0) instanceof OnnxTensor t)) throw new IllegalStateException("ort: first output is not a tensor");
        FloatBuffer out = t.getFloatBuffer();
        if (out == null) throw new IllegalStateException("ort: first output is not float, it is " + t.getInfo());
        float[] a = new float[out.remaining()];
        out.get(a);
        return a;
      } finally {
        long c0 = System.nanoTime();
        r.close();
        lastRunNanos = ran + System.nanoTime() - c0;
      }
    } catch (OrtException e) {
      throw new IllegalStateException("ort: run failed: " + e.getMessage(), e);
    }
  }

  /** The last fetching call's {@code session.run} and result close, without the copy of the output. */
  @Override public long lastRunNanos() { return lastRunNanos; }

  @Override
  public void close() {
    input.close();
    try {
      session.close();
    } catch (OrtException e) {
      throw new IllegalStateException("ort: closing the session failed: " + e.getMessage(), e);
    }
  }
}
