package dev.kiln.frontend.script;

import java.util.List;

/**
 * A type annotation as written: {@code Tensor}, {@code Optional[int]}, {@code Tuple[()]},
 * {@code __torch__.a.___torch_mangle_3.C}. Annotations inside expressions ({@code annotate(List[int], [])})
 * stay expressions in the AST; {@link #fromExpr} converts them when a lowering needs the type.
 */
public sealed interface TypeExpr {
  SourcePos pos();

  /** The built-in scalar and tensor types. {@code None} written as a type is {@link #NONE}. */
  enum Prim {
    TENSOR("Tensor"), INT("int"), FLOAT("float"), BOOL("bool"), STR("str"), NONE("NoneType"),
    DEVICE("Device"), ANY("Any");

    private final String spelling;

    Prim(String spelling) { this.spelling = spelling; }

    /** The name TorchScript prints for this type. */
    public String spelling() { return spelling; }
  }

  /** {@code Tensor}, {@code int}, {@code float}, {@code bool}, {@code str}, {@code NoneType} / {@code None}, ... */
  record Primitive(Prim kind, SourcePos pos) implements TypeExpr {}

  /** {@code Optional[T]}. */
  record OptionalOf(TypeExpr element, SourcePos pos) implements TypeExpr {}

  /** {@code List[T]}. */
  record ListOf(TypeExpr element, SourcePos pos) implements TypeExpr {}

  /** {@code Tuple[A, B]}; {@code Tuple[()]} has no elements. */
  record TupleOf(List<TypeExpr> elements, SourcePos pos) implements TypeExpr {
    public TupleOf { elements = List.copyOf(elements); }
  }

  /** {@code Dict[K, V]}. */
  record DictOf(TypeExpr key, TypeExpr value, SourcePos pos) implements TypeExpr {}

  /** {@code Final[T]}, used for class constants. */
  record FinalOf(TypeExpr element, SourcePos pos) implements TypeExpr {}

  /** A class named by its (possibly dotted) name: {@code __torch__.torch.nn.modules.conv.Conv2d}, {@code MyPair}. */
  record ClassRef(String qualifiedName, SourcePos pos) implements TypeExpr {}

  /** Any other subscripted name ({@code Union[int, str]}, {@code Future[Tensor]}): kept for the lowering to judge. */
  record Generic(String name, List<TypeExpr> args, SourcePos pos) implements TypeExpr {
    public Generic { args = List.copyOf(args); }
  }

  /** Builds the type a dotted name with optional arguments denotes; {@code args} is null when not subscripted. */
  static TypeExpr of(String name, List<TypeExpr> args, SourcePos pos) {
    String bare = name.startsWith("typing.") ? name.substring("typing.".length()) : name;
    if (args == null) {
      Prim prim = prim(bare);
      return prim != null ? new Primitive(prim, pos) : new ClassRef(name, pos);
    }
    return switch (bare) {
      case "Optional" -> new OptionalOf(single(bare, args, pos), pos);
      case "List" -> new ListOf(single(bare, args, pos), pos);
      case "Final" -> new FinalOf(single(bare, args, pos), pos);
      case "Tuple" -> new TupleOf(args, pos);
      case "Dict" -> {
        if (args.size() != 2) {
          throw new ScriptSyntaxException(pos, "Dict takes 2 type arguments, got " + args.size());
        }
        yield new DictOf(args.get(0), args.get(1), pos);
      }
      default -> new Generic(name, args, pos);
    };
  }

  /**
   * Reads a type written as an expression, as in {@code annotate(List[int], [])} or
   * {@code isinstance(x, Tensor)}. Throws ScriptSyntaxException at the expression if it is not a type.
   */
  static TypeExpr fromExpr(Expr e) {
    return switch (e) {
      case Expr.NoneLit n -> new Primitive(Prim.NONE, n.pos());
      case Expr.Name n -> of(n.id(), null, n.pos());
      case Expr.Attribute a -> of(dotted(a), null, a.pos());
      case Expr.Subscript s -> {
        List<Expr> items = s.index() instanceof Expr.TupleExpr t ? t.elements() : List.of(s.index());
        List<TypeExpr> args = items.stream()
            .flatMap(i -> i instanceof Expr.TupleExpr t && t.elements().isEmpty()
                ? java.util.stream.Stream.<TypeExpr>empty() : java.util.stream.Stream.of(fromExpr(i)))
            .toList();
        yield of(dotted(s.value()), args, s.pos());
      }
      default -> throw new ScriptSyntaxException(e.pos(), "expected a type, found " + Expr.describe(e));
    };
  }

  private static String dotted(Expr e) {
    return switch (e) {
      case Expr.Name n -> n.id();
      case Expr.Attribute a -> dotted(a.value()) + "." + a.attr();
      default -> throw new ScriptSyntaxException(e.pos(), "expected a type name, found " + Expr.describe(e));
    };
  }

  private static TypeExpr single(String name, List<TypeExpr> args, SourcePos pos) {
    if (args.size() != 1) {
      throw new ScriptSyntaxException(pos, name + " takes 1 type argument, got " + args.size());
    }
    return args.getFirst();
  }

  private static Prim prim(String name) {
    return switch (name) {
      case "Tensor", "torch.Tensor" -> Prim.TENSOR;
      case "int" -> Prim.INT;
      case "float" -> Prim.FLOAT;
      case "bool" -> Prim.BOOL;
      case "str" -> Prim.STR;
      case "NoneType" -> Prim.NONE;
      case "Device", "torch.device" -> Prim.DEVICE;
      case "Any" -> Prim.ANY;
      default -> null;
    };
  }
}
