package io.javaoverlay.cli.demo;

/** The demo cannot go on; the message says what failed and what to do about it. */
final class DemoException extends RuntimeException {

    DemoException(String message) {
        super(message);
    }
}
