package dev.kiln.ir;

/** A value of {@code element} type or none (TorchScript's {@code Optional[T]}). */
public record OptionalType(Type element) implements Type {
  @Override public String text() { return "optional<" + element.text() + ">"; }

  @Override public String toString() { return text(); }
}
