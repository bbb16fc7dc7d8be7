package dev.floe.fleet;

import dev.floe.launcher.AwsProfile;

import static org.junit.jupiter.api.Assertions.assertEquals;

import dev.floe.controller.lambdaapi.LambdaCredentials;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The profile floe up writes for the AWS CLI and SDKs: its own section, the user's other lines kept. */
class AwsProfileTest {
    @TempDir
    Path home;

    @Test
    void writesItsSectionsAndKeepsEveryOtherLine() throws Exception {
        Path aws = Files.createDirectories(home.resolve(".aws"));
        Files.writeString(aws.resolve("credentials"), "[default]\naws_access_key_id = AKIAUSER\naws_secret_access_key = user-secret\n\n"
                + "[floe]\naws_access_key_id = OLD\n# a comment kept\naws_secret_access_key = old\n\n[other]\nx = 1\n");
        Files.writeString(aws.resolve("config"), "[default]\nregion = eu-west-1\n");

        AwsProfile.write(home, new LambdaCredentials.Key("FLOEKEY", "floe-secret"), URI.create("https://127.0.0.1:7071"),
                Path.of("/tls/ca.pem"));

        assertEquals("[default]\naws_access_key_id = AKIAUSER\naws_secret_access_key = user-secret\n\n"
                + "[floe]\naws_access_key_id = FLOEKEY\n# a comment kept\naws_secret_access_key = floe-secret\n\n[other]\nx = 1\n",
                Files.readString(aws.resolve("credentials")));
        assertEquals("[default]\nregion = eu-west-1\n\n[profile floe]\nregion = us-east-1\nendpoint_url = https://127.0.0.1:7071\n"
                + "ca_bundle = /tls/ca.pem\n", Files.readString(aws.resolve("config")));
        assertEquals("rw-------", PosixFilePermissions.toString(Files.getPosixFilePermissions(aws.resolve("credentials"))));

        // Again without TLS, on another port: the endpoint follows, the CA goes.
        AwsProfile.write(home, new LambdaCredentials.Key("FLOEKEY", "floe-secret"), URI.create("http://127.0.0.1:8081"), null);
        assertEquals("[default]\nregion = eu-west-1\n\n[profile floe]\nregion = us-east-1\nendpoint_url = http://127.0.0.1:8081\n",
                Files.readString(aws.resolve("config")));
    }

    @Test
    void makesAPrivateAwsDirectoryWhenThereIsNone() throws Exception {
        AwsProfile.write(home, new LambdaCredentials.Key("FLOEKEY", "s"), URI.create("http://127.0.0.1:7071"), null);
        assertEquals("rwx------", PosixFilePermissions.toString(Files.getPosixFilePermissions(home.resolve(".aws"))));
        assertEquals("[floe]\naws_access_key_id = FLOEKEY\naws_secret_access_key = s\n", Files.readString(home.resolve(".aws/credentials")));
    }
}
