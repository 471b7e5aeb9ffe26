package io.recordtracker.jdbc;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.ArrayList;
import java.util.List;

/**
 * A TCP proxy on 127.0.0.1 in front of a database port, whose {@link #freeze()} stops forwarding
 * bytes in both directions without closing or resetting any socket: a network whose peer stops
 * answering. Bytes read while frozen, and the end of a stream, are held until {@link #thaw()}.
 * Connections opened while frozen are accepted and frozen too.
 */
final class FreezingProxy implements AutoCloseable {

  private final ServerSocket server;
  private final int targetPort;
  private final Object lock = new Object();
  private final List<Socket> sockets = new ArrayList<>(); // guarded by lock
  private boolean frozen; // guarded by lock
  private boolean closed; // guarded by lock

  /** Starts forwarding 127.0.0.1:{@link #port()} to 127.0.0.1:{@code targetPort}. */
  FreezingProxy(int targetPort) throws IOException {
    this.targetPort = targetPort;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    daemon("freezing-proxy-accept", this::accept).start();
  }

  /** The port clients connect to. */
  int port() {
    return server.getLocalPort();
  }

  /** Stops forwarding; every socket stays open. */
  void freeze() {
    synchronized (lock) {
      frozen = true;
    }
  }

  /** Forwards again, the held bytes first. */
  void thaw() {
    synchronized (lock) {
      frozen = false;
      lock.notifyAll();
    }
  }

  /** Thaws, then closes the listening socket and every connection. */
  @Override
  public void close() throws IOException {
    List<Socket> open;
    synchronized (lock) {
      closed = true;
      frozen = false;
      lock.notifyAll();
      open = new ArrayList<>(sockets);
    }
    server.close();
    for (Socket s : open) {
      closeQuietly(s);
    }
  }

  private void accept() {
    while (true) {
      Socket client;
      Socket upstream;
      try {
        client = server.accept();
      } catch (IOException e) {
        return; // closed
      }
      try {
        upstream = new Socket(InetAddress.getLoopbackAddress(), targetPort);
      } catch (IOException e) {
        closeQuietly(client);
        continue;
      }
      synchronized (lock) {
        if (closed) {
          closeQuietly(client);
          closeQuietly(upstream);
          return;
        }
        sockets.add(client);
        sockets.add(upstream);
      }
      daemon("freezing-proxy-up", () -> pump(client, upstream)).start();
      daemon("freezing-proxy-down", () -> pump(upstream, client)).start();
    }
  }

  private void pump(Socket from, Socket to) {
    byte[] buffer = new byte[8192];
    try {
      InputStream in = from.getInputStream();
      OutputStream out = to.getOutputStream();
      int n;
      while ((n = in.read(buffer)) >= 0) {
        awaitThawed();
        out.write(buffer, 0, n);
        out.flush();
      }
    } catch (IOException e) {
      // a socket closed: close its partner too, once thawed
    }
    awaitThawed(); // the end of a stream is held as well
    closeQuietly(from);
    closeQuietly(to);
  }

  private void awaitThawed() {
    synchronized (lock) {
      while (frozen) {
        try {
          lock.wait();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }

  private static Thread daemon(String name, Runnable body) {
    Thread t = new Thread(body, name);
    t.setDaemon(true);
    return t;
  }

  private static void closeQuietly(Socket s) {
    try {
      s.close();
    } catch (IOException ignored) {
      // nothing left to do
    }
  }
}
