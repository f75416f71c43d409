"""Wave planning: pilot ring, per-site capacity and bandwidth, French calendar, inventories."""
