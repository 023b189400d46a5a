package dev.kiln.frontend.script;

import java.util.List;

/**
 * Statements of a function body. Every node carries the position of its first token; lists are
 * immutable and never null; fields documented as nullable are null when absent from the source.
 */
public sealed interface Stmt {
  SourcePos pos();

  /**
   * {@code t1 = t2 = value}: usually one target. A target is a Name, Attribute, Subscript, or a
   * TupleExpr/ListExpr of targets ({@code a, b = f(x)}).
   */
  record Assign(List<Expr> targets, Expr value, SourcePos pos) implements Stmt {
    public Assign { targets = List.copyOf(targets); }
  }

  /** {@code target : annotation = value}; value is nullable ({@code x : int}). */
  record AnnAssign(Expr target, TypeExpr annotation, Expr value, SourcePos pos) implements Stmt {}

  /** {@code target op= value}, e.g. {@code x += 1}. */
  record AugAssign(Expr target, Expr.BinaryOperator op, Expr value, SourcePos pos) implements Stmt {}

  /** {@code if test: body else: orElse}; an {@code elif} is an If alone in orElse. orElse may be empty. */
  record If(Expr test, List<Stmt> body, List<Stmt> orElse, SourcePos pos) implements Stmt {
    public If { body = List.copyOf(body); orElse = List.copyOf(orElse); }
  }

  /** {@code for target in iter: body}; target may be a TupleExpr ({@code for i, x in ...}). */
  record For(Expr target, Expr iter, List<Stmt> body, SourcePos pos) implements Stmt {
    public For { body = List.copyOf(body); }
  }

  /** {@code while test: body}. */
  record While(Expr test, List<Stmt> body, SourcePos pos) implements Stmt {
    public While { body = List.copyOf(body); }
  }

  /** {@code break}. */
  record Break(SourcePos pos) implements Stmt {}

  /** {@code continue}. */
  record Continue(SourcePos pos) implements Stmt {}

  /** {@code pass}. */
  record Pass(SourcePos pos) implements Stmt {}

  /** {@code return value}; value is null for a bare {@code return}, a TupleExpr for {@code return a, b}. */
  record Return(Expr value, SourcePos pos) implements Stmt {}

  /** {@code raise exception from cause}; both nullable (bare {@code raise}). */
  record Raise(Expr exception, Expr cause, SourcePos pos) implements Stmt {}

  /** {@code assert test, message}; message nullable. */
  record Assert(Expr test, Expr message, SourcePos pos) implements Stmt {}

  /** {@code del a[0], b}. */
  record Delete(List<Expr> targets, SourcePos pos) implements Stmt {
    public Delete { targets = List.copyOf(targets); }
  }

  /** An expression evaluated for its effect, e.g. {@code ops.prim.RaiseException(msg, "builtins.ValueError")}. */
  record ExprStmt(Expr value, SourcePos pos) implements Stmt {}
}
