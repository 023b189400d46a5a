package dev.kiln.codegen.llvm.quant;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.codegen.llvm.Llvm;
import dev.kiln.codegen.llvm.LlvmException;
import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.codegen.llvm.TargetSpec;
import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.interp.QuantCall;
import java.util.Set;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;

/**
 * The int8 routines of one LLVM module: decides which reference calls run natively and adds {@link Int8GemmIr}'s
 * {@code kiln_q8_gemm} to the module the first time one does. A reference call qualifies when its graph is one
 * quantized linear or convolution that {@code QuantCall} accepts ({@code q.linear_dynamic}, {@code q.linear[_relu]},
 * {@code q.conv2d[_relu]}, named qi8 weights, static shapes); the runtime's {@code Int8Step} then runs it with the
 * activation quantization / im2col and the requantization in Java ({@code QuantGemmNode}) around the native product.
 * {@code -Dkiln.llvm.int8=false} leaves every reference call on the interpreter. Not thread-safe (one per module).
 */
public final class Int8Library {
  /** CPUs (as named targets, whose feature string is empty) that have AVX-512 VNNI. */
  private static final Set<String> VNNI_CPUS = Set.of("znver4", "znver5", "icelake-server", "icelake-client", "tigerlake",
      "sapphirerapids", "emeraldrapids", "graniterapids", "cascadelake", "cooperlake", "alderlake");

  private final LlvmModule m;
  private final boolean vnni;
  private boolean added;

  public Int8Library(LlvmModule m, TargetSpec target) {
    this.m = m;
    this.vnni = hasVnni(target);
  }

  /** Whether the target has AVX-512 VNNI ({@code vpdpbusd} on 512-bit vectors). */
  public static boolean hasVnni(TargetSpec t) {
    if (!t.features().isEmpty()) return t.features().contains("+avx512vnni") && t.features().contains("+avx512f");
    return VNNI_CPUS.contains(t.cpu()) && !t.cpu().equals("alderlake"); // alderlake has AVX-VNNI, not the 512-bit form
  }

  public boolean vnni() { return vnni; }

  public static boolean enabled() { return !"false".equals(System.getProperty("kiln.llvm.int8")); }

  /**
   * The symbol that runs reference graph {@code graphText} natively, emitting it on first use; null when the graph
   * stays on the interpreter.
   */
  public String symbolFor(String graphText) {
    if (!enabled()) return null;
    Graph g;
    try {
      g = IrParser.parse(graphText, "reference");
    } catch (RuntimeException e) {
      return null;
    }
    if (!QuantCall.accepts(g)) return null;
    if (!added) {
      link(Int8GemmIr.module(vnni));
      added = true;
    }
    return Int8GemmIr.SYMBOL;
  }

  /** Parses {@code ir} in the module's context and links it in. */
  private void link(String ir) {
    Llvm.init();
    LLVMMemoryBufferRef buf = LLVMCreateMemoryBufferWithMemoryRangeCopy(ir, ir.length(), "kiln_q8");
    LLVMModuleRef src = new LLVMModuleRef();
    BytePointer error = new BytePointer();
    if (LLVMParseIRInContext(m.context(), buf, src, error) != 0)
      throw new LlvmException("int8 routines: invalid LLVM IR: " + error.getString());
    if (LLVMLinkModules2(m.ref(), src) != 0) throw new LlvmException("int8 routines: cannot link into module " + m.name());
  }
}
