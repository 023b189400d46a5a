package dev.kiln.frontend.script;

import java.util.ArrayList;
import java.util.List;

/**
 * Expressions of TorchScript source. Every node carries the position of its first token. Lists are
 * immutable and never null; fields documented as nullable are null when absent from the source.
 * A unary minus applied directly to an int or float literal is folded into the literal ({@code -1}
 * is {@code IntLit(-1)}), so {@code -9223372036854775808} is representable.
 */
public sealed interface Expr {
  SourcePos pos();

  /** A bare identifier: {@code x}, {@code torch}, {@code __torch__}, {@code CONSTANTS}. */
  record Name(String id, SourcePos pos) implements Expr {}

  /** {@code value.attr}, e.g. {@code self.conv1}, {@code torch.relu}, {@code ops.prim.RaiseException}. */
  record Attribute(Expr value, String attr, SourcePos pos) implements Expr {}

  /** {@code func(args..., name=value...)}; a method call {@code (conv1).forward(x, )} has an Attribute as func. */
  record Call(Expr func, List<Expr> args, List<Keyword> keywords, SourcePos pos) implements Expr {
    public Call { args = List.copyOf(args); keywords = List.copyOf(keywords); }

    /** The keyword argument named {@code name}, or null. */
    public Expr keyword(String name) {
      return keywords.stream().filter(k -> k.name().equals(name)).map(Keyword::value).findFirst().orElse(null);
    }
  }

  /** One {@code name=value} argument of a call. */
  record Keyword(String name, Expr value, SourcePos pos) {}

  /**
   * {@code value[index]}. Several comma-separated indices ({@code x[:, 0]}) form a TupleExpr index,
   * as in Python; slices appear as {@link Slice} elements.
   */
  record Subscript(Expr value, Expr index, SourcePos pos) implements Expr {}

  /** {@code lower:upper:step} inside a subscript; each part may be null ({@code x[::2]}). */
  record Slice(Expr lower, Expr upper, Expr step, SourcePos pos) implements Expr {}

  /** {@code [a, b]}. */
  record ListExpr(List<Expr> elements, SourcePos pos) implements Expr {
    public ListExpr { elements = List.copyOf(elements); }
  }

  /** {@code (a, b)}, {@code a, b} (unparenthesized in statements) or {@code ()}. */
  record TupleExpr(List<Expr> elements, SourcePos pos) implements Expr {
    public TupleExpr { elements = List.copyOf(elements); }
  }

  /** {@code {k: v, ...}}; keys and values have the same length. */
  record DictExpr(List<Expr> keys, List<Expr> values, SourcePos pos) implements Expr {
    public DictExpr { keys = List.copyOf(keys); values = List.copyOf(values); }
  }

  /** {@code for target in iter if cond...} of a comprehension. */
  record Comprehension(Expr target, Expr iter, List<Expr> conditions, SourcePos pos) {
    public Comprehension { conditions = List.copyOf(conditions); }
  }

  /** {@code [element for ...]}. */
  record ListComp(Expr element, Comprehension generator, SourcePos pos) implements Expr {}

  /** {@code {key: value for ...}}. */
  record DictComp(Expr key, Expr value, Comprehension generator, SourcePos pos) implements Expr {}

  /** Integer literal (decimal, hex, octal or binary in the source). */
  record IntLit(long value, SourcePos pos) implements Expr {}

  /** Float literal; {@code text} is the spelling in the source ({@code 1.0000000000000001e-05}, {@code 0.}). */
  record FloatLit(double value, String text, SourcePos pos) implements Expr {}

  /** String literal after escape decoding; adjacent literals are joined. */
  record StrLit(String value, SourcePos pos) implements Expr {}

  /** {@code True} or {@code False}. */
  record BoolLit(boolean value, SourcePos pos) implements Expr {}

  /** {@code None}. */
  record NoneLit(SourcePos pos) implements Expr {}

  /** {@code ...} (as in {@code x[..., 0]}). */
  record EllipsisLit(SourcePos pos) implements Expr {}

  /** Prefix operators. */
  enum UnaryOperator { NEG, POS, INVERT, NOT }

  /** {@code -x}, {@code +x}, {@code ~x}, {@code not x}. */
  record Unary(UnaryOperator op, Expr operand, SourcePos pos) implements Expr {}

  /** Binary arithmetic and bitwise operators, with their Python spelling. */
  enum BinaryOperator {
    ADD("+"), SUB("-"), MUL("*"), DIV("/"), FLOOR_DIV("//"), MOD("%"), POW("**"), MATMUL("@"),
    BIT_AND("&"), BIT_OR("|"), BIT_XOR("^"), LSHIFT("<<"), RSHIFT(">>");

    private final String symbol;

    BinaryOperator(String symbol) { this.symbol = symbol; }

    public String symbol() { return symbol; }

    /** The operator spelled {@code symbol}, or null. */
    public static BinaryOperator ofSymbol(String symbol) {
      for (BinaryOperator op : values()) {
        if (op.symbol.equals(symbol)) return op;
      }
      return null;
    }
  }

  /** {@code left op right}. */
  record Binary(Expr left, BinaryOperator op, Expr right, SourcePos pos) implements Expr {}

  /** Comparison operators, with their Python spelling. */
  enum CompareOperator {
    EQ("=="), NE("!="), LT("<"), LE("<="), GT(">"), GE(">="), IS("is"), IS_NOT("is not"), IN("in"),
    NOT_IN("not in");

    private final String symbol;

    CompareOperator(String symbol) { this.symbol = symbol; }

    public String symbol() { return symbol; }
  }

  /**
   * {@code left op0 c0 op1 c1 ...}: a chain means {@code left op0 c0 and c0 op1 c1}, as in Python.
   * {@code ops} and {@code comparators} have the same, non-zero length.
   */
  record Compare(Expr left, List<CompareOperator> ops, List<Expr> comparators, SourcePos pos) implements Expr {
    public Compare { ops = List.copyOf(ops); comparators = List.copyOf(comparators); }
  }

  /** {@code and} / {@code or}. */
  enum BoolOperator { AND, OR }

  /** {@code a and b and c}: consecutive uses of the same operator are flattened into one node. */
  record BoolOp(BoolOperator op, List<Expr> values, SourcePos pos) implements Expr {
    public BoolOp { values = List.copyOf(values); }
  }

  /** {@code body if test else orElse}. */
  record IfExp(Expr test, Expr body, Expr orElse, SourcePos pos) implements Expr {}

  /** Dotted name of a Name/Attribute chain ({@code torch.nn.functional.relu}), or null for anything else. */
  static String dottedName(Expr e) {
    List<String> parts = new ArrayList<>();
    Expr cur = e;
    while (cur instanceof Attribute a) {
      parts.addFirst(a.attr());
      cur = a.value();
    }
    if (!(cur instanceof Name n)) return null;
    parts.addFirst(n.id());
    return String.join(".", parts);
  }

  /** Short description of an expression's kind for error messages ("a call", "a literal", ...). */
  static String describe(Expr e) {
    return switch (e) {
      case Name n -> "name '" + n.id() + "'";
      case Attribute a -> "attribute '" + a.attr() + "'";
      case Call _ -> "a call";
      case Subscript _ -> "a subscript";
      case Slice _ -> "a slice";
      case ListExpr _ -> "a list";
      case TupleExpr _ -> "a tuple";
      case DictExpr _ -> "a dict";
      case ListComp _ -> "a list comprehension";
      case DictComp _ -> "a dict comprehension";
      case IntLit _ -> "an int literal";
      case FloatLit _ -> "a float literal";
      case StrLit _ -> "a string literal";
      case BoolLit _ -> "a bool literal";
      case NoneLit _ -> "None";
      case EllipsisLit _ -> "'...'";
      case Unary _ -> "a unary expression";
      case Binary b -> "'" + b.op().symbol() + "' expression";
      case Compare _ -> "a comparison";
      case BoolOp _ -> "a boolean expression";
      case IfExp _ -> "a conditional expression";
    };
  }
}
