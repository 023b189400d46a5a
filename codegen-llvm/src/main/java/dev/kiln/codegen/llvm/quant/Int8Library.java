package dev.kiln.codegen.llvm.quant;

import static org.bytedeco.llvm.global.LLVM.*;

import dev.kiln.codegen.llvm.Llvm;
import dev.kiln.codegen.llvm.LlvmException;
import dev.kiln.codegen.llvm.LlvmModule;
import dev.kiln.codegen.llvm.TargetSpec;
import dev.kiln.ir.Graph;
import dev.kiln.ir.text.IrParser;
import dev.kiln.runtime.interp.QuantCall;
import dev.kiln.runtime.nativelib.Int8Simple;
import java.util.Set;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.llvm.LLVM.LLVMMemoryBufferRef;
import org.bytedeco.llvm.LLVM.LLVMModuleRef;

/**
 * The int8 routines of one LLVM module: decides which reference calls run natively and links the part of the routines'
 * text that defines the routine into the module the first time one is called ({@link Int8GemmIr}, {@link Int8ScalarIr}, {@link Int8LinearIr},
 * {@link Int8ConvIr}, {@link Int8SimpleIr}). A quantized linear or convolution that {@code QuantCall} accepts
 * ({@code q.linear_dynamic}, {@code q.linear[_relu]}, {@code q.conv2d[_relu]}, named qi8 weights, static shapes) runs
 * whole in {@code kiln_q8_linear} / {@code kiln_q8_convc} ({@code kiln_q8_conv} that may take the channel-panel form,
 * {@link Int8ConvChanIr}; {@code kiln_q8_conv} itself with {@code -Dkiln.llvm.int8.chanPanels=false}); {@code q.add[_relu]}, {@code q.max_pool2d},
 * {@code q.quantize_per_tensor} and {@code q.dequantize} in the routines {@code runtime.nativelib.Int8Simple#symbol}
 * names; the runtime's {@code Int8Step} sets up and calls them. {@code -Dkiln.llvm.int8=false} leaves every reference
 * call on the interpreter; {@code -Dkiln.llvm.int8=gemm} the first native path (only the product native,
 * {@code kiln_q8_gemm}, quantization / im2col / requantization in Java, other q ops interpreted). Not thread-safe
 * (one per module).
 */
public final class Int8Library {
  /** CPUs (as named targets, whose feature string is empty) that have AVX-512 VNNI. */
  private static final Set<String> VNNI_CPUS = Set.of("znver4", "znver5", "icelake-server", "icelake-client", "tigerlake",
      "sapphirerapids", "emeraldrapids", "graniterapids", "cascadelake", "cooperlake", "alderlake");

  private final LlvmModule m;
  private final boolean vnni;
  private final Set<String> linked = new java.util.HashSet<>();
  private String declarations;

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
   * {@code -Dkiln.llvm.int8=gemm}: the first native path (only the product native, the rest of each node in Java
   * around it) instead of the whole node in one call ({@link Int8LinearIr}, {@link Int8ConvIr}).
   */
  public static boolean gemmOnly() { return "gemm".equals(System.getProperty("kiln.llvm.int8")); }

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
    String simple = gemmOnly() ? null : Int8Simple.symbol(g);
    if (!QuantCall.accepts(g) && simple == null) return null;
    String symbol;
    if (simple != null) symbol = simple;
    else if (gemmOnly()) symbol = Int8GemmIr.SYMBOL;
    else if (g.body().nodes().stream().noneMatch(n -> n.op().name().startsWith("q.conv2d"))) symbol = Int8LinearIr.SYMBOL;
    else symbol = Int8ConvChanIr.enabled() ? Int8ConvChanIr.SYMBOL : Int8ConvIr.SYMBOL;
    linkPartOf(symbol);
    return symbol;
  }

  /**
   * Links the part of the routines that defines {@code symbol} ({@link Int8Parts}) unless it is in already, so a model
   * compiles only what its nodes call: the whole library took ~1.2 s of O3 and code generation, a dynamic MLP's
   * linear part ~0.15 s.
   */
  private void linkPartOf(String symbol) {
    if (!linked.add(Int8Parts.partOf(symbol))) return;
    if (declarations == null) declarations = Int8Parts.declarations(vnni); // the whole library's text, built once
    link(Int8Parts.text(symbol, vnni, declarations));
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
