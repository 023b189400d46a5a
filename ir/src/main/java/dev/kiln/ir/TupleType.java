package dev.kiln.ir;

import java.util.List;
import java.util.stream.Collectors;

/** A fixed-length tuple of possibly different types. */
public record TupleType(List<Type> elements) implements Type {
  public TupleType { elements = List.copyOf(elements); }

  @Override public String text() {
    return elements.stream().map(Type::text).collect(Collectors.joining(",", "tuple<", ">"));
  }

  @Override public String toString() { return text(); }
}
