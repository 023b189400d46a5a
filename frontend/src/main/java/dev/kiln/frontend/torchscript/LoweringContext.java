package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.archive.StoredTensor;
import dev.kiln.frontend.archive.TorchObject;
import dev.kiln.ir.Attr;
import dev.kiln.ir.Builder;
import dev.kiln.ir.OpDef;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.Value;
import java.util.List;
import java.util.Map;

/**
 * What an {@link OpLowering} may do: read its arguments as tensors or compile-time constants, emit IR, and fail
 * with a message that names the source position being lowered. Implemented by the lowering engine.
 *
 * <p>Values known while lowering are folded: an op lowering should compute sizes, ints and bools in Java when
 * their inputs are known (e.g. {@code torch.size(x, 0)} on a static dim gives a {@code Long}) and emit IR only
 * for what depends on run-time data.
 */
public interface LoweringContext {
  /** Inserts nodes at the current point of the graph being built. */
  Builder builder();

  /** Emits {@code op} with inferred result types and returns its single result. */
  Value emit(OpDef op, Map<String, Attr> attrs, Value... operands);

  /** Emits {@code op} and returns all its results. */
  List<Value> emitMulti(OpDef op, Map<String, Attr> attrs, List<Value> operands);

  /** The argument as a tensor value: a Value of tensor type, or a known number/bool made into a zero-dim tensor. */
  Value tensor(Object arg, String what);

  /** The argument as a tensor value or null when it is None (optional tensors such as a bias). */
  Value optionalTensor(Object arg, String what);

  /** The static type of a tensor argument. */
  TensorType typeOf(Value tensor);

  /** A compile-time int (a Long, or a bool); fails naming {@code what} if it is only known at run time. */
  long constInt(Object arg, String what);

  /** A compile-time float (Double or Long). */
  double constFloat(Object arg, String what);

  boolean constBool(Object arg, String what);

  /** A compile-time list of ints; a single int is accepted as a one-element list (PyTorch's stride=2). */
  long[] constInts(Object arg, String what);

  /** True if the argument is known while lowering (not an IR Value and not a list holding one). */
  boolean isConst(Object arg);

  /**
   * The argument as an IR value of scalar type ({@code int}, {@code float}, {@code bool}), materializing a known
   * constant with a {@code const} node; for ops that must take a number at run time.
   */
  Value scalar(Object arg, String what);

  /**
   * A named weight of the graph holding {@code tensor} (one weight per stored view, however often it is reached).
   * {@code name} is a module path such as {@code fc1._packed_params._packed_params.weight}; a clash gets a suffix.
   */
  Value weight(StoredTensor tensor, String name);

  /**
   * The data of a weight value ({@code const {name=...}} of the weight table), or null if {@code v} is anything else;
   * lets quantization parameters that an archive keeps as buffers (an FX model's {@code _scale_0}) fold.
   */
  default dev.kiln.runtime.Tensor weightData(Value v) { return null; }

  /** The dotted module path of a module object of the archive ({@code layer1.0}), or null outside an archive. */
  String modulePath(TorchObject module);

  /** An error naming the current source position (file:line:col), the op being lowered and {@code message}. */
  RuntimeException fail(String message);
}
