package dev.kiln.ir.text;

import dev.kiln.ir.Block;
import dev.kiln.ir.Graph;
import dev.kiln.ir.Node;
import dev.kiln.ir.Value;
import java.util.HashSet;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.Set;

/**
 * Chooses the printed name of every value of a graph so that the text parses back: a value's own name when it
 * is set and not yet taken (characters a name cannot hold become {@code _}); {@code name.1}, {@code name.2} ... for a repeated name; and for unnamed values the
 * numbers 0, 1, 2 ... in definition order, skipping numbers that are names already.
 */
final class ValueNamer {
  private final Map<Value, String> names = new IdentityHashMap<>();
  private final Set<String> taken = new HashSet<>();
  private final Set<String> wanted = new HashSet<>();
  private int counter;

  private ValueNamer() {}

  static ValueNamer of(Graph g) {
    ValueNamer n = new ValueNamer();
    n.collectWanted(g.body());
    n.assign(g.body());
    return n;
  }

  /** The printed name without '%'; values defined outside the graph (a malformed graph) are named on demand. */
  String name(Value v) {
    String s = names.get(v);
    if (s == null) {
      s = fresh(v.name());
      names.put(v, s);
    }
    return s;
  }

  private void collectWanted(Block b) {
    for (Value a : b.args()) if (sanitize(a.name()) != null) wanted.add(sanitize(a.name()));
    for (Node n : b.nodes()) {
      for (Value r : n.results()) if (sanitize(r.name()) != null) wanted.add(sanitize(r.name()));
      for (Block inner : n.blocks()) collectWanted(inner);
    }
  }

  // Same order as the printer writes definitions: block arguments, then each node's results, then its blocks.
  private void assign(Block b) {
    for (Value a : b.args()) names.put(a, fresh(a.name()));
    for (Node n : b.nodes()) {
      for (Value r : n.results()) names.put(r, fresh(r.name()));
      for (Block inner : n.blocks()) assign(inner);
    }
  }

  private String fresh(String rawHint) {
    String hint = sanitize(rawHint);
    if (hint != null) {
      if (taken.add(hint)) return hint;
      for (int i = 1; ; i++) {
        String s = hint + "." + i;
        if (!wanted.contains(s) && taken.add(s)) return s;
      }
    }
    while (true) {
      String s = Integer.toString(counter++);
      if (!wanted.contains(s) && taken.add(s)) return s;
    }
  }

  /** The name with every character the lexer would not read as part of a value name replaced by '_'; null if empty. */
  static String sanitize(String s) {
    if (s == null || s.isEmpty()) return null;
    StringBuilder sb = new StringBuilder(s.length());
    for (int i = 0; i < s.length(); i++) {
      char c = s.charAt(i);
      sb.append(Character.isLetterOrDigit(c) || c == '_' || c == '.' ? c : '_');
    }
    return sb.toString();
  }
}
