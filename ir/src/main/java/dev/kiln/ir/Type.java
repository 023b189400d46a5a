package dev.kiln.ir;

import java.util.List;

/**
 * The type of a {@link Value}. Tensors carry dtype, shape and layout; the other kinds exist for what TorchScript
 * programs compute besides tensors (sizes, flags, lists of ints, tuples returned by ops).
 *
 * <p>Text forms: {@code f32[N,3,224,224]}, {@code f32[1,8,4,4]{nhwc}}, {@code qi8[64]{q=0.05:0}}, {@code int},
 * {@code float}, {@code bool}, {@code str}, {@code none}, {@code tuple<int,f32[2]>}, {@code list<int>},
 * {@code optional<f32[*]>}.
 */
public sealed interface Type permits TensorType, PrimType, TupleType, ListType, OptionalType {
  /** The IR text of this type; the parser reads it back to an equal type. */
  String text();

  static TensorType tensor(DType dtype, Shape shape) { return new TensorType(dtype, shape, Layout.CONTIGUOUS, null); }

  static TensorType tensor(DType dtype, long... sizes) { return tensor(dtype, Shape.of(sizes)); }

  static TupleType tuple(List<Type> elements) { return new TupleType(elements); }

  static ListType list(Type element) { return new ListType(element); }
}
