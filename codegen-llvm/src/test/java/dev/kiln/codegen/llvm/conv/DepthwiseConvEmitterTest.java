package dev.kiln.codegen.llvm.conv;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * Which convolutions {@link DepthwiseConvEmitter} takes (the numerics and the IR are checked against the interpreter
 * in tests/…/llvm/DepthwiseConvLlvmTest): channels-last depthwise with dilation 1 and sides up to the limit, not a
 * grouped or one-group convolution, not NCHW, and none with {@code -Dkiln.llvm.dwConv=false}.
 */
class DepthwiseConvEmitterTest {
  /** ConvParams: n, c, h, w, oc, kh, kw, sh, sw, ph, pw, dh, dw, groups, oh, ow. */
  private static int[] q(int c, int oc, int k, int stride, int dil, int groups) {
    int out = (56 + 2 - dil * (k - 1) - 1) / stride + 1;
    return new int[] {1, c, 56, 56, oc, k, k, stride, stride, 1, 1, dil, dil, groups, out, out};
  }

  @Test
  void takesChannelsLastDepthwiseOnly() {
    assertTrue(DepthwiseConvEmitter.applies(q(144, 144, 3, 1, 1, 144), true));
    assertTrue(DepthwiseConvEmitter.applies(q(96, 96, 3, 2, 1, 96), true));
    assertTrue(DepthwiseConvEmitter.applies(q(7, 7, 5, 1, 1, 7), true));
    assertFalse(DepthwiseConvEmitter.applies(q(144, 144, 3, 1, 1, 144), false), "NCHW");
    assertFalse(DepthwiseConvEmitter.applies(q(144, 144, 3, 1, 1, 1), true), "one group");
    assertFalse(DepthwiseConvEmitter.applies(q(144, 144, 3, 1, 1, 72), true), "two channels per group");
    assertFalse(DepthwiseConvEmitter.applies(q(144, 288, 3, 1, 1, 144), true), "channel multiplier 2");
    assertFalse(DepthwiseConvEmitter.applies(q(144, 144, 3, 1, 2, 144), true), "dilation 2");
    assertFalse(DepthwiseConvEmitter.applies(q(16, 16, DepthwiseConvEmitter.MAX_KERNEL + 2, 1, 1, 16), true), "kernel too wide");
  }

  @Test
  void switchTurnsItOff() {
    String before = System.getProperty("kiln.llvm.dwConv");
    System.setProperty("kiln.llvm.dwConv", "false");
    try {
      assertFalse(DepthwiseConvEmitter.applies(q(144, 144, 3, 1, 1, 144), true));
    } finally {
      if (before == null) System.clearProperty("kiln.llvm.dwConv");
      else System.setProperty("kiln.llvm.dwConv", before);
    }
  }

  @Test
  void scratchIsTheTapMajorWeights() {
    assertEquals(9L * 960, DepthwiseConvEmitter.scratchFloats(q(960, 960, 3, 1, 1, 960)));
  }
}
