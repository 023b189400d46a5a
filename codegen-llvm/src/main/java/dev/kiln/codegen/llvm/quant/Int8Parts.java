package dev.kiln.codegen.llvm.quant;

import dev.kiln.codegen.llvm.LlvmException;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Set;

/**
 * The parts {@link Int8Library} links one at a time: the routines of one file (the simple ones: add, max pool,
 * quantize, dequantize, average pool, requantize/mixed add/relu, matmul), the linear or the convolution driver with the
 * micro-kernels, or the GEMM alone ({@code -Dkiln.llvm.int8=gemm}). Each part is parsed as a module of its own: the
 * scalar helpers and every intrinsic declaration of the library in front (the files each declare the intrinsics they
 * call, but only once across the whole library, and a module may not declare a function twice), its internal
 * functions private to it (a second part's copies are renamed when linked).
 */
final class Int8Parts {
  private Int8Parts() {}

  /** Every exported routine, one name per part it belongs to first ({@code kiln_q8_convc} with {@code kiln_q8_conv}). */
  static final List<String> SYMBOLS = List.of(Int8GemmIr.SYMBOL, Int8LinearIr.SYMBOL, Int8ConvIr.SYMBOL, Int8ConvChanIr.SYMBOL,
      Int8SimpleIr.ADD, Int8SimpleIr.MAXPOOL, Int8SimpleIr.QUANTIZE, Int8SimpleIr.DEQUANTIZE, Int8AvgPoolIr.SYMBOL,
      Int8RequantIr.REQUANT, Int8RequantIr.ADDX, Int8RequantIr.RELU, Int8MatmulIr.SYMBOL);

  /** The name of the part that defines {@code symbol}. */
  static String partOf(String symbol) {
    return switch (symbol) {
      case Int8GemmIr.SYMBOL -> "gemm";
      case Int8LinearIr.SYMBOL -> "linear";
      case Int8ConvIr.SYMBOL, Int8ConvChanIr.SYMBOL -> "conv";
      case Int8RequantIr.REQUANT, Int8RequantIr.ADDX, Int8RequantIr.RELU -> "requant";
      default -> symbol;
    };
  }

  /** The module text of the part that defines {@code symbol}. */
  static String text(String symbol, boolean vnni) { return text(symbol, vnni, declarations(vnni)); }

  /** As above, with the library's declarations computed once by the caller ({@link #declarations(boolean)}). */
  static String text(String symbol, boolean vnni, String declarations) {
    String body = switch (partOf(symbol)) {
      case "gemm" -> Int8GemmIr.module(vnni);
      case "linear" -> Int8GemmIr.tiles(vnni) + Int8LinearIr.functions();
      case "conv" -> Int8GemmIr.tiles(vnni) + Int8ConvIr.functions(vnni);
      default -> Int8SimpleIr.functionsOf(symbol);
    };
    if (body == null) throw new LlvmException("int8 routines: no routine defines " + symbol);
    return module(declarations, Int8ScalarIr.functions() + body);
  }

  /** Every intrinsic declaration of the whole library, once. */
  static String declarations(boolean vnni) {
    return declarations(Int8GemmIr.module(vnni) + Int8ScalarIr.functions() + Int8LinearIr.functions() + Int8ConvIr.functions(vnni)
        + Int8SimpleIr.functions());
  }

  /** The distinct {@code declare} lines of {@code text}, in order, one per line. */
  static String declarations(String text) {
    Set<String> out = new LinkedHashSet<>();
    for (String line : text.split("\n")) if (line.strip().startsWith("declare ")) out.add(line.strip());
    return String.join("\n", out) + "\n\n";
  }

  /** {@code body} without its {@code declare} lines, after {@code declarations}. */
  static String module(String declarations, String body) {
    StringBuilder s = new StringBuilder(declarations);
    for (String line : body.split("\n", -1)) if (!line.strip().startsWith("declare ")) s.append(line).append('\n');
    return s.toString();
  }
}
