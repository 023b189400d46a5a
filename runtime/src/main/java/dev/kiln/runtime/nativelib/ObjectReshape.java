package dev.kiln.runtime.nativelib;

import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import dev.kiln.runtime.Tensor;
import dev.kiln.runtime.interp.QuantCall;
import java.util.Map;
import java.util.Set;

/**
 * A reference call of one reshape of an object buffer (a quantized tensor's {@code nn.flatten} before resnet18's
 * classifier) run as {@link Tensor#reshape} of the operand, which is what the interpreter's kernel does, without the
 * interpreter: the call runs once per model run, too rarely for the JVM to compile the interpreter's path (it took
 * ~60 us in bytecode against ~2 us compiled). Bound once per plan step ({@link #of}).
 */
final class ObjectReshape {
  /** Ops whose result is their first operand's elements in the same row-major order (only the shape changes). */
  private static final Set<String> RESHAPES = Set.of("nn.flatten", "nn.reshape", "nn.squeeze", "nn.unsqueeze");

  private final String in, out;
  private final long[] shape;

  private ObjectReshape(String in, String out, long[] shape) {
    this.in = in;
    this.out = out;
    this.shape = shape;
  }

  /**
   * The reshape that runs reference graph {@code g} from object storage {@code in} to {@code out}, or null when it is
   * not one reshape of its parameter between tensors of static shapes, the same dtype and element count.
   */
  static ObjectReshape of(Graph g, String in, String out) {
    Node n = QuantCall.single(g);
    if (n == null || !RESHAPES.contains(n.op().name()) || g.params().size() != 1) return null;
    Value v = n.operand(0);
    if (v != g.params().get(0)) return null;
    if (!(v.type() instanceof TensorType t) || !(n.result(0).type() instanceof TensorType y)) return null;
    if (!t.shape().isStatic() || !y.shape().isStatic() || t.dtype() != y.dtype()) return null;
    long[] s = y.shape().sizes();
    if (Tensor.numel(t.shape().sizes()) != Tensor.numel(s)) return null;
    return new ObjectReshape(in, out, s);
  }

  /** Reshapes the operand's tensor, or says what the storage held instead. */
  void run(Map<String, Object> objects) {
    if (!(objects.get(in) instanceof Tensor t) || t.numel() != Tensor.numel(shape))
      throw new IllegalStateException("reshape of %" + in + ": expected a tensor of " + Tensor.numel(shape) + " elements, got "
          + objects.get(in));
    objects.put(out, t.reshape(shape));
  }
}
