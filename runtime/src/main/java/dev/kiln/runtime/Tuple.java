package dev.kiln.runtime;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * A run-time tuple value ({@code tuple<...>} in the IR). Elements may be null (none); the list is read-only.
 */
public record Tuple(List<Object> elements) {
  public Tuple {
    elements = Collections.unmodifiableList(new ArrayList<>(elements));
  }

  public static Tuple of(Object... elements) { return new Tuple(java.util.Arrays.asList(elements)); }

  public Object get(int i) { return elements.get(i); }

  public int size() { return elements.size(); }
}
