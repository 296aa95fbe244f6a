// The chat page's entry module. Everything is rendered with textContent, never innerHTML.

const output = document.getElementById("health");

async function showHealth() {
  try {
    const response = await fetch("/api/health", { headers: { accept: "application/json" } });
    const health = await response.json();
    const ok = response.ok && health.status === "ok";
    output.dataset.state = ok ? "ok" : "down";
    output.textContent = ok ? `ok (bus: ${health.bus}, version ${health.version})` : "unavailable";
  } catch {
    output.dataset.state = "down";
    output.textContent = "unreachable";
  }
}

showHealth();
