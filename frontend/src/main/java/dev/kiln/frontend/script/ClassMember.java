package dev.kiln.frontend.script;

/** One item of a class body, in source order. */
public sealed interface ClassMember permits ClassMember.AttributeDecl, ClassMember.ClassAssign,
    ClassMember.AnnotationEntry, FunctionDef {
  SourcePos pos();

  String name();

  /**
   * {@code name : Type} (an attribute of the module object) or {@code name : Final[int] = 3} (a
   * constant); {@code value} is null when there is no {@code =}.
   */
  record AttributeDecl(String name, TypeExpr type, Expr value, SourcePos pos) implements ClassMember {}

  /** {@code name = value} in a class body, e.g. {@code __parameters__ = ["weight", "bias", ]}. */
  record ClassAssign(String name, Expr value, SourcePos pos) implements ClassMember {}

  /**
   * {@code __annotations__["0"] = __torch__.x.Y}: the type of an attribute whose name is not an
   * identifier (children of traced Sequential). {@link #name()} is the key, e.g. {@code "0"}.
   */
  record AnnotationEntry(String name, TypeExpr type, SourcePos pos) implements ClassMember {}
}
