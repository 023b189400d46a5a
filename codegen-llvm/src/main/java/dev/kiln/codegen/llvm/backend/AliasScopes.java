package dev.kiln.codegen.llvm.backend;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.codegen.llvm.LlvmModule;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.PointerPointer;
import org.bytedeco.llvm.LLVM.LLVMContextRef;
import org.bytedeco.llvm.LLVM.LLVMMetadataRef;
import org.bytedeco.llvm.LLVM.LLVMValueRef;

/**
 * Scoped no-alias metadata for one kernel function: one scope per storage parameter (and one for the workspace),
 * in a domain named after the function; a load or store of storage {@code s} gets {@code !alias.scope !{s}} and
 * {@code !noalias} the other scopes. It states only that distinct storages are distinct memory, which holds for
 * every caller (each storage is its own allocation or a disjoint slice of the C bundle's workspace) and says nothing
 * about calls. So a threaded kernel, whose parameters lose {@code noalias} because other threads touch the storages
 * across its {@code kiln_barrier} calls, still lets the loop vectorizer prove that a loop reading one storage and
 * writing another has no overlap (the LSTM gate loop: its exps vectorize again instead of running scalar).
 *
 * <p>Off with {@code -Dkiln.llvm.aliasScopes=false} (for measuring).
 */
final class AliasScopes {
  private static final String WORK = "\0work";
  private final LLVMContextRef ctx;
  private final int scopeKind, noaliasKind;
  private final Map<String, LLVMValueRef[]> tags = new HashMap<>();

  /** Whether the metadata is emitted ({@code kiln.llvm.aliasScopes}, default true). */
  static boolean enabled() { return !"false".equals(System.getProperty("kiln.llvm.aliasScopes")); }

  AliasScopes(LlvmModule m, String function, List<String> storages) {
    this.ctx = m.context();
    this.scopeKind = LLVMGetMDKindIDInContext(ctx, "alias.scope", 11);
    this.noaliasKind = LLVMGetMDKindIDInContext(ctx, "noalias", 7);
    LLVMMetadataRef domain = node(string("kiln." + function));
    int n = storages.size() + 1;
    LLVMMetadataRef[] scopes = new LLVMMetadataRef[n];
    for (int i = 0; i < n; i++)
      scopes[i] = node(string("kiln." + function + "." + (i < storages.size() ? storages.get(i) : "work")), domain);
    for (int i = 0; i < n; i++) {
      LLVMMetadataRef[] others = new LLVMMetadataRef[n - 1];
      for (int j = 0, o = 0; j < n; j++) if (j != i) others[o++] = scopes[j];
      LLVMValueRef[] t = {LLVMMetadataAsValue(ctx, node(scopes[i])), LLVMMetadataAsValue(ctx, node(others))};
      tags.put(i < storages.size() ? storages.get(i) : WORK, t);
    }
  }

  /** Tags load or store {@code inst} as an access of {@code storage} (null: the workspace). */
  void tag(LLVMValueRef inst, String storage) {
    LLVMValueRef[] t = tags.get(storage == null ? WORK : storage);
    if (t == null) return;
    LLVMSetMetadata(inst, scopeKind, t[0]);
    LLVMSetMetadata(inst, noaliasKind, t[1]);
  }

  private LLVMMetadataRef string(String s) {
    byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
    return LLVMMDStringInContext2(ctx, new org.bytedeco.javacpp.BytePointer(b), b.length);
  }

  private LLVMMetadataRef node(LLVMMetadataRef... ops) {
    PointerPointer<LLVMMetadataRef> pp = new PointerPointer<>(Math.max(1, ops.length));
    for (int i = 0; i < ops.length; i++) pp.put(i, ops[i]);
    return LLVMMDNodeInContext2(ctx, pp, ops.length);
  }
}
