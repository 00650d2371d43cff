package dev.sluice.loadtest;

import java.io.IOException;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;

/** Set-up calls of the load tools: a request that must answer one status, else the tool stops naming the answer. */
public final class ExpectStatus {
    private ExpectStatus() {}

    /** Sends {@code request} and returns its body when it answered {@code status}; otherwise throws with both. */
    public static String send(HttpClient http, HttpRequest.Builder request, int status)
            throws IOException, InterruptedException {
        HttpResponse<String> response = http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        if (response.statusCode() != status) {
            throw new IllegalStateException(request.build().uri() + ": " + response.statusCode() + " "
                    + response.body());
        }
        return response.body();
    }
}
