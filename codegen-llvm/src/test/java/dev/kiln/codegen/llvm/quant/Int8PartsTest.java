package dev.kiln.codegen.llvm.quant;

import static org.bytedeco.llvm.global.LLVM.LLVMGetNamedFunction;
import static org.bytedeco.llvm.global.LLVM.LLVMIsDeclaration;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.kiln.codegen.llvm.LlvmModule;
import org.bytedeco.llvm.LLVM.LLVMValueRef;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * {@link Int8Parts}: every part parses and verifies as a module of its own (VNNI and the generic form), defines the
 * routines named for it and no routine of another part; the declaration surgery keeps one line per intrinsic.
 */
@Tag("llvm")
class Int8PartsTest {
  @ParameterizedTest(name = "vnni {0}")
  @ValueSource(booleans = {true, false})
  void everyPartIsAModuleOfItsOwn(boolean vnni) {
    for (String symbol : Int8Parts.SYMBOLS) {
      try (LlvmModule m = LlvmModule.parse(Int8Parts.text(symbol, vnni), Int8Parts.partOf(symbol))) {
        m.verify();
        for (String other : Int8Parts.SYMBOLS) {
          LLVMValueRef f = LLVMGetNamedFunction(m.ref(), other);
          boolean defined = f != null && !f.isNull() && LLVMIsDeclaration(f) == 0;
          assertEquals(Int8Parts.partOf(other).equals(Int8Parts.partOf(symbol)), defined,
              "part " + Int8Parts.partOf(symbol) + " defines " + other + ": " + defined);
        }
      }
    }
  }

  @Test
  void declarationsAreMovedInFrontOnce() {
    String body = """
        declare i32 @llvm.smin.i32(i32, i32)
        define internal i32 @f(i32 %a) {
          %r = call i32 @llvm.smin.i32(i32 %a, i32 0)
          ret i32 %r
        }
          declare i32 @llvm.smin.i32(i32, i32)
        declare i32 @llvm.smax.i32(i32, i32)
        """;
    String decls = Int8Parts.declarations(body);
    assertEquals("declare i32 @llvm.smin.i32(i32, i32)\ndeclare i32 @llvm.smax.i32(i32, i32)\n\n", decls);
    String module = Int8Parts.module(decls, body);
    assertTrue(module.startsWith(decls), module);
    assertEquals(2, module.split("declare ", -1).length - 1, module);
    assertFalse(module.substring(decls.length()).contains("declare"), module);
    try (LlvmModule m = LlvmModule.parse(module, "surgery")) {
      m.verify();
      assertNotNull(LLVMGetNamedFunction(m.ref(), "f"));
    }
  }
}
