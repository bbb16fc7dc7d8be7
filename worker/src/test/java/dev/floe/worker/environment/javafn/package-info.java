/** Handlers written against aws-lambda-java-core, as users write them, packaged by the tests into function code. */
package dev.floe.worker.environment.javafn;
