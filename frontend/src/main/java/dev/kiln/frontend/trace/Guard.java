package dev.kiln.frontend.trace;

/**
 * A place where traced Java code read a tensor's value, so the traced graph is only right for inputs that take
 * the same branch. The graph checks it with an {@code assert} whose message is {@link #message()}.
 *
 * @param file the Java source file of the first frame outside Kiln's tracing code (e.g. {@code MyModel.java}),
 *     or {@code "<unknown>"} when the class was compiled without debug information
 * @param line the line in {@code file}, or -1 when unknown
 * @param method {@code Class.method} of that frame
 * @param kind what was read: {@code "item"}, {@code "bool"}, {@code "size"} or {@code "nonzero"}
 * @param detail what the traced run saw, e.g. {@code bool() was true}
 */
public record Guard(String file, int line, String method, String kind, String detail) {
  /** {@code file:line}, as stack traces print it. */
  public String where() { return file + ":" + line; }

  /** The text of the graph's assert and of reports: {@code guard at Foo.java:42 (Foo.forward): bool() was true}. */
  public String message() { return "guard at " + where() + " (" + method + "): " + detail; }

  @Override public String toString() { return message(); }
}
