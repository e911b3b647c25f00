import Notebook
print("retune")
