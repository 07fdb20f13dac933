/**
 * Writing the agent's and the faces' state files safely ({@link io.javaoverlay.core.files.AtomicFiles}).
 * Depends on nothing else in overlay-core, so every package, and both faces, can use it.
 */
package io.javaoverlay.core.files;
