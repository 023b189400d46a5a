package dev.kiln.ir;

/** A list whose length is known only at run time. */
public record ListType(Type element) implements Type {
  @Override public String text() { return "list<" + element.text() + ">"; }

  @Override public String toString() { return text(); }
}
