package logward.cluster;

import java.io.IOException;
import java.io.InputStream;

import org.codelibs.elasticsearch.runner.ElasticsearchClusterRunner;

/**
 * One Elasticsearch 7.10.2 OSS node for Logward's tests: ingest role on, HTTP on the
 * given loopback port, data under the given directory. It runs until its standard input
 * closes, so it never outlives the test session that started it.
 */
public final class TestNode {
    private TestNode() {
    }

    public static void main(String[] args) throws IOException {
        if (args.length != 2) {
            System.err.println("usage: TestNode HTTP_PORT BASE_DIR");
            System.exit(2);
        }
        String port = args[0];
        String base = args[1];
        ElasticsearchClusterRunner runner = new ElasticsearchClusterRunner();
        runner.onBuild((index, settings) -> {
            settings.putList("node.roles", "master", "data", "ingest");
            settings.put("http.port", port);
            settings.put("network.host", "127.0.0.1");
            settings.put("discovery.type", "single-node");
            settings.put("action.auto_create_index", "true");
            settings.put("cluster.routing.allocation.disk.threshold_enabled", "false");
        });
        runner.build(ElasticsearchClusterRunner.newConfigs()
                .basePath(base)
                .numOfNode(1)
                .clusterName("logward-test")
                .printOnFailure());
        runner.ensureYellow();
        System.out.println("READY http://127.0.0.1:" + port);
        System.out.flush();

        InputStream in = System.in;
        while (in.read() != -1) {
            // wait for the parent to close our stdin
        }
        runner.close();
        runner.clean();
        System.exit(0);
    }
}
