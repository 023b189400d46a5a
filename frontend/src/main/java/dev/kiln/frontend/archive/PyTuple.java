package dev.kiln.frontend.archive;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A Python tuple from a pickle. Items may be null (None). Lists are {@link List}, dicts {@link java.util.Map}; a tuple
 * is its own type because TorchScript tells the two apart.
 */
public record PyTuple(List<Object> items) {
  public static final PyTuple EMPTY = new PyTuple(List.of());

  /** Copies {@code items} (which may hold nulls) into an unmodifiable list. */
  public PyTuple {
    items = Collections.unmodifiableList(new ArrayList<>(items));
  }

  public static PyTuple of(Object... items) { return new PyTuple(java.util.Arrays.asList(items)); }

  public int size() { return items.size(); }

  public Object get(int i) { return items.get(i); }

  @Override public String toString() {
    StringBuilder sb = new StringBuilder("(");
    for (int i = 0; i < items.size(); i++) {
      if (i > 0) sb.append(", ");
      Object o = items.get(i);
      sb.append(o == this ? "(this tuple)" : o instanceof String s ? "'" + s + "'" : String.valueOf(o));
    }
    return sb.append(items.size() == 1 ? ",)" : ")").toString();
  }
}
