package dev.kiln.frontend.script;

import java.util.List;

/**
 * A {@code def}, at top level or as a method. {@code returnType} is null when there is no
 * {@code -> T}; decorators are the expressions after {@code @} ({@code torch.jit.script},
 * {@code torch.jit.export}) in source order.
 */
public record FunctionDef(String name, List<Param> params, TypeExpr returnType, List<Stmt> body,
    List<Expr> decorators, SourcePos pos) implements ClassMember {
  public FunctionDef {
    params = List.copyOf(params);
    body = List.copyOf(body);
    decorators = List.copyOf(decorators);
  }

  /** One parameter; {@code type} and {@code defaultValue} are null when not written. */
  public record Param(String name, TypeExpr type, Expr defaultValue, SourcePos pos) {}

  /** The parameter named {@code name}, or null. */
  public Param param(String name) {
    return params.stream().filter(p -> p.name().equals(name)).findFirst().orElse(null);
  }
}
