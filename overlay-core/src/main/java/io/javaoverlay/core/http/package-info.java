/**
 * A small HTTP/1.1 server for the agent's health, status and metrics endpoints: GET and HEAD
 * of fixed paths, bodies made in memory, nothing else.
 *
 * <h2>Why not the JDK's server</h2>
 * {@code com.sun.net.httpserver} reads a request's head on a worker thread with a blocking read
 * and no timeout: every client that sends half a request and waits holds a worker for as long
 * as it likes, and with a few workers two such clients stopped {@code /healthz} (and a liveness
 * probe then restarts the agent). Its only bounds are process-wide system properties
 * ({@code sun.net.httpserver.maxReqTime}), read once per JVM. Jetty would do, but costs the
 * agent's start time and memory for five fixed replies.
 *
 * <h2>Design notes</h2>
 * <ul>
 * <li>One selector thread does every read and write, without blocking: a slow or silent client
 *     costs a buffer, never a thread, so no number of them delays another client's request.
 * <li>Deadlines, checked by the selector on every turn: a request head must arrive whole within
 *     {@link io.javaoverlay.core.http.HttpLimits#headTimeout()} of the connection's first byte
 *     (of its opening, for a new one) however slowly it trickles in; a kept-alive connection
 *     may idle for {@link io.javaoverlay.core.http.HttpLimits#idleTimeout()}; a reply must be
 *     taken within {@link io.javaoverlay.core.http.HttpLimits#writeTimeout()}.
 * <li>Connections are bounded; a new one beyond the bound closes the oldest connection that has
 *     not sent a whole request, so a flood of idle connections cannot keep a probe out.
 * <li>Handlers run on one worker thread (made on demand, gone when idle), except the
 *     {@linkplain io.javaoverlay.core.http.HttpRoute#instant() instant} ones, answered on the
 *     selector thread itself: a slow handler (a large metrics scrape) never holds up
 *     {@code /healthz}.
 * <li>Only GET and HEAD are served (405 with {@code Allow} for the rest); a request with a body
 *     is answered and its connection closed, so no body is ever read.
 * </ul>
 */
package io.javaoverlay.core.http;
