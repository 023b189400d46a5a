package dev.kiln.frontend.script;

import java.util.ArrayList;
import java.util.List;

/**
 * {@code class Name(Base): ...}. {@code bases} are the expressions in parentheses ({@code Module}),
 * possibly empty; {@code members} are in source order. The accessors below are views over members.
 */
public record ClassDef(String name, List<Expr> bases, List<ClassMember> members, List<Expr> decorators,
    SourcePos pos) {
  public ClassDef {
    bases = List.copyOf(bases);
    members = List.copyOf(members);
    decorators = List.copyOf(decorators);
  }

  /** Names listed in {@code __parameters__ = [...]}, empty when absent. */
  public List<String> parameters() { return stringList("__parameters__"); }

  /** Names listed in {@code __buffers__ = [...]}, empty when absent. */
  public List<String> buffers() { return stringList("__buffers__"); }

  /** Typed attribute and constant declarations ({@code name : T}, {@code name : Final[T] = v}). */
  public List<ClassMember.AttributeDecl> attributes() {
    return members.stream().filter(m -> m instanceof ClassMember.AttributeDecl)
        .map(m -> (ClassMember.AttributeDecl) m).toList();
  }

  /** {@code __annotations__["key"] = T} entries. */
  public List<ClassMember.AnnotationEntry> annotations() {
    return members.stream().filter(m -> m instanceof ClassMember.AnnotationEntry)
        .map(m -> (ClassMember.AnnotationEntry) m).toList();
  }

  /** Methods in source order. */
  public List<FunctionDef> methods() {
    return members.stream().filter(m -> m instanceof FunctionDef).map(m -> (FunctionDef) m).toList();
  }

  /** The method named {@code name}, or null. */
  public FunctionDef method(String name) {
    return methods().stream().filter(f -> f.name().equals(name)).findFirst().orElse(null);
  }

  /** The attribute or constant declaration named {@code name}, or null. */
  public ClassMember.AttributeDecl attribute(String name) {
    return attributes().stream().filter(a -> a.name().equals(name)).findFirst().orElse(null);
  }

  private List<String> stringList(String member) {
    for (ClassMember m : members) {
      if (m instanceof ClassMember.ClassAssign(String n, Expr value, SourcePos p) && n.equals(member)) {
        if (!(value instanceof Expr.ListExpr list)) {
          throw new ScriptSyntaxException(p, member + " must be a list of strings");
        }
        List<String> names = new ArrayList<>();
        for (Expr e : list.elements()) {
          if (!(e instanceof Expr.StrLit s)) {
            throw new ScriptSyntaxException(e.pos(), member + " must be a list of strings, found " + Expr.describe(e));
          }
          names.add(s.value());
        }
        return List.copyOf(names);
      }
    }
    return List.of();
  }
}
