package dev.kiln.frontend.torchscript;

import dev.kiln.frontend.script.TypeExpr;
import dev.kiln.ir.DType;
import dev.kiln.ir.ListType;
import dev.kiln.ir.OptionalType;
import dev.kiln.ir.PrimType;
import dev.kiln.ir.Shape;
import dev.kiln.ir.TensorType;
import dev.kiln.ir.TupleType;
import dev.kiln.ir.Type;
import dev.kiln.ir.Value;
import java.util.List;

/** TorchScript type annotations as IR types, and the run-time type tests of {@code isinstance}. */
final class TypeMapping {
  private TypeMapping() {}

  /** The IR type an annotation denotes; a bare {@code Tensor} is an unranked f32 tensor. Null if there is none. */
  static Type toIr(TypeExpr t) {
    return switch (t) {
      case TypeExpr.Primitive p -> switch (p.kind()) {
        case TENSOR -> Type.tensor(DType.F32, Shape.UNRANKED);
        case INT -> PrimType.INT;
        case FLOAT -> PrimType.FLOAT;
        case BOOL -> PrimType.BOOL;
        case STR -> PrimType.STR;
        case NONE -> PrimType.NONE;
        default -> null;
      };
      case TypeExpr.OptionalOf o -> wrap(toIr(o.element()), OptionalType::new);
      case TypeExpr.ListOf l -> wrap(toIr(l.element()), ListType::new);
      case TypeExpr.FinalOf f -> toIr(f.element());
      case TypeExpr.TupleOf tu -> {
        List<Type> els = tu.elements().stream().map(TypeMapping::toIr).toList();
        yield els.contains(null) ? null : new TupleType(els);
      }
      default -> null;
    };
  }

  private static Type wrap(Type inner, java.util.function.Function<Type, Type> f) {
    return inner == null ? null : f.apply(inner);
  }

  /**
   * Whether a lowering-time value is an instance of {@code t}, as TorchScript's isinstance decides it statically.
   *
   * @return TRUE/FALSE, or null when the answer is not known while lowering
   */
  static Boolean isInstance(Object v, TypeExpr t) {
    return switch (t) {
      case TypeExpr.Primitive p -> switch (p.kind()) {
        case TENSOR -> v instanceof Value val ? val.type() instanceof TensorType : Boolean.FALSE;
        case INT -> v instanceof Long || v instanceof Value val && val.type() == PrimType.INT;
        case FLOAT -> v instanceof Double || v instanceof Value val && val.type() == PrimType.FLOAT;
        case BOOL -> v instanceof Boolean || v instanceof Value val && val.type() == PrimType.BOOL;
        case STR -> v instanceof String;
        case NONE -> v == null;
        case ANY -> true;
        default -> null;
      };
      case TypeExpr.OptionalOf o -> v == null ? Boolean.TRUE : isInstance(v, o.element());
      case TypeExpr.ListOf _ -> v instanceof List<?> || v instanceof Value val && val.type() instanceof ListType;
      case TypeExpr.TupleOf _ -> v instanceof dev.kiln.frontend.archive.PyTuple
          || v instanceof Value val && val.type() instanceof TupleType;
      case TypeExpr.ClassRef c -> v instanceof dev.kiln.frontend.archive.TorchObject o && o.qualifiedName().equals(c.qualifiedName());
      default -> null;
    };
  }
}
