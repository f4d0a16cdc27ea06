"""Automatic call distribution: AMI, queues, agents, supervisors."""
