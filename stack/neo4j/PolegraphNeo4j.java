/*
 * Runs Neo4j Community from its Maven Central jars with a Bolt connector, so that clients reach it
 * exactly as they reach a Neo4j server (bolt://host:port). Settings come from a neo4j.conf written by
 * `polegraph stack up`; the procedures in its plugin directory (APOC core) are loaded as a server would.
 *
 * Usage: java -cp 'lib/*:classes' PolegraphNeo4j <home-dir> <neo4j.conf>
 */
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

import org.neo4j.dbms.api.DatabaseManagementService;
import org.neo4j.dbms.api.DatabaseManagementServiceBuilder;

public final class PolegraphNeo4j {
    private PolegraphNeo4j() {}

    public static void main(String[] args) throws Exception {
        if (args.length != 2) {
            System.err.println("usage: PolegraphNeo4j <home-dir> <neo4j.conf>");
            System.exit(2);
        }
        Path home = Path.of(args[0]).toAbsolutePath();
        Path conf = Path.of(args[1]).toAbsolutePath();
        if (!Files.isRegularFile(conf)) {
            System.err.println("neo4j.conf not found: " + conf);
            System.exit(2);
        }
        DatabaseManagementService dbms =
                new DatabaseManagementServiceBuilder(home).loadPropertiesFromFile(conf).build();
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            System.out.println("polegraph-neo4j: shutting down");
            dbms.shutdown();
            stopped.countDown();
        }, "polegraph-neo4j-shutdown"));
        System.out.println("polegraph-neo4j: started, home " + home);
        stopped.await();
    }
}
