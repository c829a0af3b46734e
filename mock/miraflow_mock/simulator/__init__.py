"""The stateful Miraflow simulator behind `miraflow-mock serve`."""
