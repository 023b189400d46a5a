package dev.kiln.frontend.archive;

import java.util.LinkedHashMap;
import java.util.Map;

/**
 * An instance of a TorchScript class from a pickle: a module, a user class, or a TorchBind (C++) object. It is plain
 * data: its qualified name (e.g. {@code __torch__.torch.nn.modules.linear.Linear}, possibly with
 * {@code ___torch_mangle_N}) and its attributes, in pickle order. Nothing is ever instantiated from the name.
 *
 * <p>A BUILD with a dict of string keys fills {@link #attributes()}; any other state (TorchBind objects, classes with
 * {@code __setstate__}) is kept as it came in {@link #state()}. Identity semantics: two objects are equal only if
 * they are the same instance (pickles may share or cycle objects).
 */
public final class TorchObject {
  private final String qualifiedName;
  private final Map<String, Object> attributes = new LinkedHashMap<>();
  private Object state;
  private boolean hasState;

  TorchObject(String qualifiedName) { this.qualifiedName = qualifiedName; }

  /** The class name exactly as pickled, {@code __torch__.} prefix included. */
  public String qualifiedName() { return qualifiedName; }

  /** True for TorchBind classes ({@code __torch__.torch.classes.*}), whose state is a C++ {@code __setstate__} input. */
  public boolean isTorchBind() { return qualifiedName.startsWith("__torch__.torch.classes."); }

  /** Attributes by name (parameters, buffers, submodules, plain values); empty for frozen modules and TorchBind. */
  public Map<String, Object> attributes() { return java.util.Collections.unmodifiableMap(attributes); }

  /** One attribute, or null if absent or None; see {@link #has(String)} to tell the two apart. */
  public Object get(String name) { return attributes.get(name); }

  public boolean has(String name) { return attributes.containsKey(name); }

  /** The raw BUILD state when it was not an attribute dict (TorchBind, {@code __setstate__}); may be null. */
  public Object state() { return state; }

  /** True if a BUILD gave a raw state (even None). */
  public boolean hasRawState() { return hasState; }

  void putAttribute(String name, Object value) { attributes.put(name, value); }

  void setState(Object s) {
    state = s;
    hasState = true;
  }

  @Override public String toString() { return qualifiedName + attributes.keySet(); }
}
