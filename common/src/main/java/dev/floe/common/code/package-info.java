/**
 * Function code packages and the rules a package must meet to run: one implementation, {@link
 * dev.floe.common.code.PackageReader}, which the controller runs at upload (nothing written) and each
 * worker runs as it unpacks (writing what it reads), so a package the controller accepts is one every
 * worker can unpack.
 */
package dev.floe.common.code;
