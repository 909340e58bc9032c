module example.com/kftrainer-go

go 1.19
