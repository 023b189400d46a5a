package dev.kiln.bench;

import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;

/**
 * Writes tiny ONNX models as protobuf bytes by hand, so the bench's tests can drive real ONNX Runtime sessions
 * without Python or the large fixtures. Field numbers are those of onnx.proto (ModelProto, GraphProto, NodeProto,
 * TensorProto, ValueInfoProto, TypeProto).
 */
final class TinyOnnx {
  private TinyOnnx() {}

  /** {@code y = act(x W^T + b)} with x f32[n,k], W f32[m,k], b f32[m]: Gemm(transB=1) then {@code activation}. */
  static byte[] linear(int n, int k, int m, float[] w, float[] b, String activation) {
    return mlp(n, new int[] {k, m}, new float[][] {w}, new float[][] {b}, activation);
  }

  /**
   * Layers {@code h_{i+1} = act(h_i W_i^T + b_i)}: input "x" f32[n, widths[0]], output "y" f32[n, widths[last]],
   * W_i f32[widths[i+1], widths[i]] row-major, the activation after every layer.
   */
  static byte[] mlp(int n, int[] widths, float[][] w, float[][] b, String activation) {
    Proto graph = new Proto();
    String h = "x";
    for (int i = 0; i < w.length; i++) {
      String wi = "W" + i, bi = "b" + i, gi = "g" + i, yi = i == w.length - 1 ? "y" : "h" + i;
      graph.message(1, new Proto().strings(1, h, wi, bi).string(2, gi).string(4, "Gemm")
          .message(5, new Proto().string(1, "transB").varint(3, 1).varint(20, 2))); // AttributeProto type INT = 2
      graph.message(1, new Proto().string(1, gi).string(2, yi).string(4, activation));
      h = yi;
    }
    graph.string(2, "tiny");
    for (int i = 0; i < w.length; i++)
      graph.message(5, tensor("W" + i, w[i], widths[i + 1], widths[i])).message(5, tensor("b" + i, b[i], widths[i + 1]));
    graph.message(11, valueInfo("x", n, widths[0])).message(12, valueInfo("y", n, widths[w.length]));
    return new Proto().varint(1, 8) // ir_version 8
        .message(8, new Proto().string(1, "").varint(2, 13)) // opset_import: default domain, opset 13
        .message(7, graph).bytes();
  }

  private static Proto tensor(String name, float[] data, long... dims) {
    ByteBuffer raw = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float f : data) raw.putFloat(f);
    Proto t = new Proto();
    for (long d : dims) t.varint(1, d);
    return t.varint(2, 1).string(8, name).raw(9, raw.array()); // data_type FLOAT = 1
  }

  private static Proto valueInfo(String name, long... dims) {
    Proto shape = new Proto();
    for (long d : dims) shape.message(1, new Proto().varint(1, d));
    Proto tensorType = new Proto().varint(1, 1).message(2, shape);
    return new Proto().string(1, name).message(2, new Proto().message(1, tensorType));
  }

  /** A protobuf message being written: varint (wire type 0) and length-delimited (wire type 2) fields only. */
  static final class Proto {
    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    Proto varint(int field, long v) {
      writeVarint((long) field << 3);
      writeVarint(v);
      return this;
    }

    Proto raw(int field, byte[] b) {
      writeVarint(((long) field << 3) | 2);
      writeVarint(b.length);
      out.writeBytes(b);
      return this;
    }

    Proto string(int field, String s) { return raw(field, s.getBytes(StandardCharsets.UTF_8)); }

    Proto strings(int field, String... ss) {
      for (String s : ss) string(field, s);
      return this;
    }

    Proto message(int field, Proto m) { return raw(field, m.bytes()); }

    byte[] bytes() { return out.toByteArray(); }

    private void writeVarint(long v) {
      while ((v & ~0x7FL) != 0) {
        out.write((int) ((v & 0x7F) | 0x80));
        v >>>= 7;
      }
      out.write((int) v);
    }
  }
}
