/**
 * The agent's and the faces' files: written whole ({@link io.javaoverlay.core.files.AtomicFiles}),
 * owner-only unless other tools must read them ({@link io.javaoverlay.core.files.FileModes}),
 * and locked across processes with a bounded wait ({@link io.javaoverlay.core.files.LockFile}).
 * Depends on nothing else in overlay-core, so every package, and both faces, can use it.
 */
package io.javaoverlay.core.files;
