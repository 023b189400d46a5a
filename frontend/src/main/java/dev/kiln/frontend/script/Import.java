package dev.kiln.frontend.script;

/**
 * One imported name. {@code import torch as t} is {@code Import("torch", null, "t")};
 * {@code from typing import List} is {@code Import("typing", "List", null)}; {@code from m import *}
 * has name {@code "*"}. {@code name} and {@code alias} are null when not written.
 */
public record Import(String module, String name, String alias, SourcePos pos) {
  /** The name this import binds in the file: alias, else imported name, else the module's first part. */
  public String boundName() {
    if (alias != null) return alias;
    if (name != null) return name;
    int dot = module.indexOf('.');
    return dot < 0 ? module : module.substring(0, dot);
  }
}
